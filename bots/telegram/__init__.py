"""The Telegram adapter: aiogram updates in, `Inbound` to the handlers, `Reply` rendered back."""
