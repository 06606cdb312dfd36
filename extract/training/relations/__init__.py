"""Training and scoring the relation classifier of :mod:`extract.relations`: fitting, evaluation, commands."""
