"""Training and scoring the relation classifier of :mod:`extract.relations`: fitting, evaluation, commands.

May import anything in ``extract`` and the training side; never imported at run time.
"""
