"""The demo data: ``manage.py load_demo`` creates an organization, its spaces, users and
records through every app's services, so it sits above all of them."""
