# Sourced by Kineto's scripts: environment shared by setup, tests and benchmarks.
export PATH="/opt/swift/usr/bin:$PATH"
