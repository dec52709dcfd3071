"""The document store: records families send, sealed at rest, behind one interface.

``content`` tells a file's type by its bytes; ``sealing`` encrypts with AES-256-GCM under key ids;
``objects`` keeps sealed bytes in a folder or an S3-compatible bucket; ``index`` records what
each document is and who downloaded it; ``library`` puts them together.
"""
