"""esp: Event Storming Process maps as code."""

__version__ = "0.1.0"
