#!/bin/sh
# Runs k8s_job_test.py with Debian's Python (it needs python3-yaml).
exec /usr/bin/python3 "$(dirname "$0")/k8s_job_test.py"
