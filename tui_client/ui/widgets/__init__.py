"""Reusable pieces: findings list, day grid, partner picker, progress."""
