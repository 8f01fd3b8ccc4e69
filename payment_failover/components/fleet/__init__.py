"""Fleet: the Auto Scaling group, its launch template, rollout timing, instance logs and the code that runs on it."""
