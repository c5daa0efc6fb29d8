// Throws at its top level: the worker fails to load.
throw new Error('this worker fails at load')
