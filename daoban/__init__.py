"""daoban (导办): a government-service guidance assistant. This package is the application shell."""
