from django import template

from apps.audit.words import action_words, object_type_words

register = template.Library()
register.filter("action_words", action_words)
register.filter("object_type_words", object_type_words)
