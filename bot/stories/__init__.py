"""Same-story clustering: one story per real-world event, however many outlets cover it.

The pipeline calls :class:`Clusterer` once per new article and stores the returned
story id; after a restart it replays the window with :meth:`Clusterer.restore`.
"""

from bot.stories.clusterer import Assignment, Clusterer, ClusterItem, story_id_for

__all__ = ["Assignment", "ClusterItem", "Clusterer", "story_id_for"]
