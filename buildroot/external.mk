include $(sort $(wildcard $(BR2_EXTERNAL_SCANGATE_PATH)/package/*/*.mk))
