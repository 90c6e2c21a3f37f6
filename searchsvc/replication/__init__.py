"""Replication: every version of the primary's index reaches every replica, whole.

Solr's classic leader/follower replication, over plain HTTP:

- the primary (``snapshots.py``) takes a *snapshot* of a version by hard-linking its files
  (Whoosh segment files are immutable; a version is its table of contents and the segments
  it names) into ``snapshots/<generation>.<version>/`` under the store's write lock, with a
  manifest of every file's size and SHA-256; it serves the manifest and the snapshot's files;
- a replica's ``searchsvc follow`` (``follower.py``) fetches the newest manifest, downloads
  only the files it lacks, verifies each, and installs the version atomically: segment files
  first, the table of contents last (a new version of the live generation), or a whole new
  generation renamed into place and switched to with the store's ``CURRENT`` pointer. The
  replica's workers open versions exactly as they open a local write's.

Replication knows files and versions, never queries: nothing here imports the search layer.
"""
