"""People who sign in to the console: users and their roles per organization, invitations,
sessions, the throttling of failed sign-ins, and the audit log of what they change."""
