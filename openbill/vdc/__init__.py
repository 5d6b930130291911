"""Virtual data centers: a pool of resources per service and the virtual machines clients create
in it."""
