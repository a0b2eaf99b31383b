# The cell's VPC: nodes and databases in private subnets, one NAT gateway per zone for egress,
# public subnets only for the NAT gateways and internet-facing load balancers.

locals {
  azs             = { for i, az in var.availability_zones : az => i }
  private_subnets = { for az, i in local.azs : az => cidrsubnet(var.vpc_cidr, 4, i) }
  public_subnets  = { for az, i in local.azs : az => cidrsubnet(var.vpc_cidr, 8, 240 + i) }
}

resource "aws_vpc" "cell" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = "kaze-${var.cell_name}" }
}

# The VPC's default security group allows nothing: every resource has a group of its own.
resource "aws_default_security_group" "cell" {
  vpc_id = aws_vpc.cell.id
}

resource "aws_subnet" "private" {
  for_each                = local.private_subnets
  vpc_id                  = aws_vpc.cell.id
  availability_zone       = each.key
  cidr_block              = each.value
  map_public_ip_on_launch = false
  tags = {
    Name                              = "kaze-${var.cell_name}-private-${each.key}"
    "kubernetes.io/role/internal-elb" = "1"
  }
}

resource "aws_subnet" "public" {
  for_each                = local.public_subnets
  vpc_id                  = aws_vpc.cell.id
  availability_zone       = each.key
  cidr_block              = each.value
  map_public_ip_on_launch = false
  tags = {
    Name                     = "kaze-${var.cell_name}-public-${each.key}"
    "kubernetes.io/role/elb" = "1"
  }
}

resource "aws_internet_gateway" "cell" {
  vpc_id = aws_vpc.cell.id
}

resource "aws_eip" "nat" {
  for_each = local.public_subnets
  domain   = "vpc"
}

resource "aws_nat_gateway" "cell" {
  for_each      = local.public_subnets
  allocation_id = aws_eip.nat[each.key].id
  subnet_id     = aws_subnet.public[each.key].id
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.cell.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.cell.id
  }
}

resource "aws_route_table_association" "public" {
  for_each       = aws_subnet.public
  subnet_id      = each.value.id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  for_each = local.private_subnets
  vpc_id   = aws_vpc.cell.id
  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.cell[each.key].id
  }
}

resource "aws_route_table_association" "private" {
  for_each       = aws_subnet.private
  subnet_id      = each.value.id
  route_table_id = aws_route_table.private[each.key].id
}

resource "aws_flow_log" "cell" {
  vpc_id               = aws_vpc.cell.id
  traffic_type         = "ALL"
  log_destination_type = "s3"
  log_destination      = "${aws_s3_bucket.audit.arn}/vpc-flow-logs/"
}

module "networking" {
  source = "../../modules/networking"

  name                 = "kaze-${var.cell_name}"
  network_id           = aws_vpc.cell.id
  cidr_block           = aws_vpc.cell.cidr_block
  private_subnet_ids   = [for s in aws_subnet.private : s.id]
  public_subnet_ids    = [for s in aws_subnet.public : s.id]
  egress_ips           = [for e in aws_eip.nat : e.public_ip]
  nodes_have_public_ip = false
}
