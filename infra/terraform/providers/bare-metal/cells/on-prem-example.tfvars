cell_name      = "on-prem-example"
minio_endpoint = "https://s3.site.internal:9000"

control_plane_nodes = {
  cp-1 = "10.80.0.11"
  cp-2 = "10.80.0.12"
  cp-3 = "10.80.0.13"
}

worker_nodes = {
  worker-1 = "10.80.0.21"
  worker-2 = "10.80.0.22"
  worker-3 = "10.80.0.23"
}
