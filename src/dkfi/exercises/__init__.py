"""Exercises and training: the joint NATO / NORDEFCO / JEF / bilateral calendar, units and their competencies,
the Danish-Finnish interoperability matrix, an optimising participation planner and lessons learned."""
