"""Embedded defaults: what `make synth` builds with no configuration at all.

The account, hosted zone and domain are *example* values so that synth works offline; the
deploy path (``deploy=true``) refuses them.
"""

ENVIRONMENT_SUFFIX = "dev"
ACCOUNT = "123456789012"  # example account: never deployable
REGION = "eu-central-1"
HOSTED_ZONE_NAME = "example.com"  # example zone: never deployable
HOSTED_ZONE_ID = "Z00000000EXAMPLE"  # example zone id: never deployable
DOMAIN_NAME = "payments.example.com"
INSTANCE_TYPE = "t3.small"
# With the default instance type only: the same architecture, vCPUs and CPU baseline (20 % per vCPU), launched in
# this order when the first has no capacity in a zone. Any other instanceType has no alternatives by default.
ADDITIONAL_INSTANCE_TYPES = ("t3a.small", "t3.medium", "t3a.medium")
MIN_CAPACITY = 6
MAX_CAPACITY = 9
HEALTH_CHECK_INTERVAL_SECONDS = 30
LATENCY_P99_THRESHOLD_MS = 1000
ERROR_RATE_PERCENT = 5
# SLOs over 30 days (R21): a payment API's availability, and p99 within the latency alarm's threshold.
AVAILABILITY_OBJECTIVE_PERCENT = 99.95
LATENCY_OBJECTIVE_MS = 1000
LATENCY_OBJECTIVE_PERCENT = 99.0
DNS_HEALTH_CHECK_INTERVAL_SECONDS = 10
DNS_FAILURE_THRESHOLD = 3
DNS_HEALTH_CHECK_REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-1")
TAGS = (("Environment", "Production"), ("FailoverEnabled", "true"))
# The longest request the sample service answers is well under a second; 30 s is ELB's deregistration delay this
# tier has always used.
DRAIN_SECONDS = 30
# The service's revision (R20): the sample payment service, which a team replaces with its own directory.
SERVICE_BUNDLE = "sample_service"
# Zonal releases (R20): the first AZ bakes longest; each further AZ bakes before the next begins.
FIRST_ZONE_BAKE_SECONDS = 600
ZONE_BAKE_SECONDS = 300
