from django.http import HttpRequest
from ninja import Router
from ninja.errors import AuthenticationError

from common.api import auth_required, external_throttle, request_user
from common.exceptions import StylusError
from common.schemas import DetailOut, errors

from . import services
from .schemas import MeOut, RefreshIn, TokenIn, TokenPairOut

router = Router(tags=["Auth"])


class Unauthorized(StylusError):
    status_code = 401


# Throttled like the external-service endpoints, and every failure also spends the login form's
# per-account budget (allauth's login_failed), so the API is no way around the lockout.
@router.post("/token", response={200: TokenPairOut, **errors(401, 422, 429)}, auth=None, throttle=external_throttle(),
             summary="Exchange credentials for a JWT pair")
def token_obtain(request: HttpRequest, payload: TokenIn):
    user = services.user_authenticate(request=request, username=payload.username, password=payload.password)
    if user is None:
        raise Unauthorized("Invalid username or password.")
    return services.jwt_pair_for(user=user)


@router.post("/token/refresh", response={200: TokenPairOut, **errors(401, 422, 429)}, auth=None,
             summary="Exchange a refresh token for a new pair (each refresh token works once)")
def token_refresh(request: HttpRequest, payload: RefreshIn):
    pair = services.jwt_refresh(refresh=payload.refresh)
    if pair is None:
        raise Unauthorized("Invalid, expired or already used refresh token.")
    return pair


@router.get("/me", response={200: MeOut, **errors(401, 429)}, auth=auth_required, summary="The authenticated user")
def me(request: HttpRequest):
    return request.user


@router.post("/logout-all", response={200: DetailOut, **errors(401, 429)}, auth=auth_required,
             summary="End every session and JWT of the authenticated user")
def logout_all(request: HttpRequest):
    user = request_user(request)
    if user is None:  # auth_required has let the request in, so this does not happen
        raise AuthenticationError()
    services.user_logout_everywhere(user=user)
    return {"detail": "Logged out everywhere."}
