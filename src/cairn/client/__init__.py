"""The client library: what training code imports."""
