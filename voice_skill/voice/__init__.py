"""The hands-free session: listening, endpointing, recognising, answering and speaking, as
explicit states; and the same decisions for spoken questions in files."""
