from ninja import Field, Schema


class TokenIn(Schema):
    username: str = Field(..., min_length=1, max_length=254, description="Username or email")
    password: str = Field(..., min_length=1, max_length=4096)


class RefreshIn(Schema):
    refresh: str = Field(..., min_length=1, max_length=4096)


class TokenPairOut(Schema):
    access: str
    refresh: str


class MeOut(Schema):
    id: int
    username: str
    email: str
    is_staff: bool


