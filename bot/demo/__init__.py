"""The bundled demo: feeds served on loopback and a config that reads them."""
