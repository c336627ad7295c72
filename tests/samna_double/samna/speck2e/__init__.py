"""samna.speck2e: configuration, events and validate_configuration."""
from .. import _control, _model
from . import configuration, event  # noqa: F401


def validate_configuration(config):
    """(ok, message), like samna's: here speckd's own validator, or the
    test's rejection."""
    _control.record("speck2e.validate_configuration")
    reject = _control.settings().get("reject")
    if reject:
        return False, reject
    return _model.validate(_model.speckd_json(config))
