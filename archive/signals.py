"""What archive tells the rest of Stylus, without importing it: other apps (concerts) connect receivers.

Both are sent after the transaction commits, so receivers may read the stored rows and queue tasks.
"""
from django.dispatch import Signal

# Sent with identifiers=list[str] when items' metadata were stored or refreshed (new or changed recordings).
recordings_stored = Signal()

# Sent with download_id=int and identifier=str when a download finished and every file was verified.
download_verified = Signal()
