from ninja import Router

router = Router(tags=["AOTY users"])
