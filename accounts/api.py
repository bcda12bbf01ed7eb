from ninja import Router

from common.api import auth_required, external_throttle
from common.exceptions import StylusError

from . import services
from .schemas import MeOut, RefreshIn, TokenIn, TokenPairOut

router = Router(tags=["Auth"])


class Unauthorized(StylusError):
    status_code = 401


# Throttled like the external-service endpoints: it also slows down password guessing.
@router.post("/token", response=TokenPairOut, auth=None, throttle=external_throttle(), summary="Exchange credentials for a JWT pair")
def token_obtain(request, payload: TokenIn):
    user = services.user_authenticate(username=payload.username, password=payload.password)
    if user is None:
        raise Unauthorized("Invalid username or password.")
    return services.jwt_pair_for(user=user)


@router.post("/token/refresh", response=TokenPairOut, auth=None, summary="Exchange a refresh token for a new pair")
def token_refresh(request, payload: RefreshIn):
    pair = services.jwt_refresh(refresh=payload.refresh)
    if pair is None:
        raise Unauthorized("Invalid or expired refresh token.")
    return pair


@router.get("/me", response=MeOut, auth=auth_required, summary="The authenticated user")
def me(request):
    return request.user
