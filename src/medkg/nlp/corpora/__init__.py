"""Readers of the annotated corpora models are trained and scored on: token-per-line
BIO files (BC5CDR, NCBI-disease) and PubTator files (BC5CDR with MeSH ids and
chemical-induced-disease relations). Each reader takes any file of its format
by path and refuses a malformed one with the file and line in the message."""
