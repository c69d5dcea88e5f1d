"""What the pipeline's stages share: settings, tables and files, the Keras model, NumPy
inference, the worked example and drawing. Nothing here is imported at package level, so
``stages/__init__.py`` can pin the CPU kernels (``pipeline.cpu``) before NumPy loads."""
