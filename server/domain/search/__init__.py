"""Finding work (SPEC §8): quick find, the items an employee follows, the ones they opened last.

Every query starts from `visibility.visible_work_items(viewer)`: what a viewer finds, follows or
opened earlier is never more than what their own `workItems` list shows.
"""
