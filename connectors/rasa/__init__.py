"""Rasa's protocols, so existing Rasa front ends and Rasa projects work with daoban unchanged."""
