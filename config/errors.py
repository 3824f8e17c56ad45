"""The one error every app's services raise for a request they refuse.

It lives below the apps so that the shared API kit (config/api_kit.py) can turn it into an HTTP answer
without importing any app: each app subclasses it (IncidentError, ScheduleError, ...), and the
message is written for the person who asked.
"""


class VigilError(Exception):
    # The HTTP status the API answers with when no view chose another: most refusals are invalid
    # input (400); a subclass for a lost race says 409.
    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
