"""flask-smorest's Blueprint with our status for parameter errors.

webargs answers a parameter it cannot parse with 422 and flask-smorest documents that 422;
our error envelope answers 400 (naming the parameter), so the parser says 400 too and the
OpenAPI document lists only the status a client really gets.
"""

from __future__ import annotations

import flask_smorest
from webargs.flaskparser import FlaskParser


class ParameterParser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = ParameterParser()
