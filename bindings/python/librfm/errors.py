"""Exceptions carrying the library's error code and detail message."""


class RfmError(Exception):
    """A librfm call failed. `code` is the rfm_error value, `name` its
    description (rfm_strerror) and the message the library's detail
    (rfm_errmsg), e.g. "as-of date 1997-01-01 is before the latest purchase
    date 1998-06-30". Picklable, so it crosses Dask workers intact."""

    def __init__(self, code, name, message):
        super().__init__(message or name)
        self.code = code
        self.name = name
        self.message = message

    def __reduce__(self):
        return (RfmError, (self.code, self.name, self.message))
