from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and API tokens"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, pre_save

        from common.api import register_bearer_auth

        from . import services, signals

        register_bearer_auth(resolve=lambda token: services.user_for_bearer_token(token=token),
                             remembered=lambda token: services.bearer_token_remembered(token=token))
        user_model = get_user_model()
        pre_save.connect(signals.user_credentials_changing, sender=user_model, dispatch_uid="accounts.user_credentials")
        post_delete.connect(signals.user_deleted, sender=user_model, dispatch_uid="accounts.user_deleted")
