"""Network: the three-AZ VPC, its flow logs, VPC endpoints and the closed default security group."""
