# Use cases. The only place where sudo() is used, each time next to the
# access check that justifies it.
