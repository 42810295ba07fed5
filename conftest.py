import pytest


@pytest.fixture(autouse=True)
def _fresh_locate_index():
    # Test data rolled back at the end of a test sends no signals, so an index built
    # from it would outlive the test; every test starts from the database as it is.
    from gridgov.regions.locate import invalidate

    invalidate()
    yield
    invalidate()


def pytest_configure(config):
    from django.conf import settings

    # The cast's passwords are hashed in every test class; the real hasher's deliberate
    # slowness would cost seconds per class and prove nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
