# Applied in the client's subscription (Contoso).
cell_name = "contoso"
location  = "westeurope"
vnet_cidr = "10.70.0.0/16"

# Entra ID object IDs are identifiers, not credentials; the client supplies its own.
break_glass_group_object_id = "00000000-0000-0000-0000-00000000b001"
audit_export_principal_ids  = ["00000000-0000-0000-0000-00000000a0d1"]
