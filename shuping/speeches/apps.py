from django.apps import AppConfig


class SpeechesConfig(AppConfig):
    name = "shuping.speeches"
    verbose_name = "讲话与点评"
