"""A reported problem: no internet, a broken device, illness or something else, as the reason of an
absence from a lesson (`report`), decided excused or not by the tutor or assistant (`excuse`), and
the class teacher alerted after two missed lessons in a row (`streak`)."""
