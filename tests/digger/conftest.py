from tests.digger.fixtures import *  # noqa: F401,F403
