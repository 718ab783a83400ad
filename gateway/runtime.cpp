// placeholder: filled by its owner module
