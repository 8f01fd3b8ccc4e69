"""Edge: what clients reach first: DNS failover, the certificate, the WAF and the load balancer with its access logs."""
