"""The WeChat official account channel (公众号): ``/wechat`` and the menu command."""
