// The bare echo: posts every message straight back. No ids, no pool: the floor of a round trip.
onmessage = ({ data }) => postMessage(data)
