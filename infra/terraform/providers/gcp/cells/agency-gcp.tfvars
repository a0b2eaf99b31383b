cell_name  = "agency-gcp"
project_id = "kaze-agency-gcp"
region     = "europe-west4"

audit_export_members = ["group:client-auditors@speedrun.ventures"]
