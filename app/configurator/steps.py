"""The steps page: the list of steps, add, remove and reorder (plain buttons, keyboard,
drag and drop); the form step's page lives in form_step.py."""
