from ninja import Router

router = Router(tags=["民主测评"])
