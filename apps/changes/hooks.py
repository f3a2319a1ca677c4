from django.dispatch import Signal

# Sent after the commit of a beat run that recorded access ending by time, so that the layers
# above (the API's webhook dispatcher) can push it at once instead of at their next beat.
time_ends_recorded = Signal()
