"""Last.fm Scrobbling 2.0 client: web auth (auth.getSession), track.updateNowPlaying and track.scrobble."""
